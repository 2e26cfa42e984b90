// The training screen: controls, the Advanced drawer, the metrics dashboard and the checkpoint list.
import { AdvancedDrawer } from '../components/AdvancedDrawer';
import { CheckpointList } from '../components/CheckpointList';
import { TrainingControls } from '../components/TrainingControls';
import { Dashboard } from '../charts/Dashboard';

export function TrainView() {
  return (
    <div className="train-view" data-testid="train-view">
      <TrainingControls />
      <AdvancedDrawer />
      <Dashboard />
      <CheckpointList />
    </div>
  );
}
